"""The synthetic demo conservation area and its simulated year of patrols (see data/demo/)."""
