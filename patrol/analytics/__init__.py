"""Pure numpy/scipy statistics: rates, Getis-Ord Gi*, FDR, trends and unit dispatch.

Arrays in, arrays and dicts out: nothing here knows Flask, SQL or the grid's geography.
"""
