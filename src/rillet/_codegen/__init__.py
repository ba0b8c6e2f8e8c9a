"""The generator of :mod:`rillet.params` (run ``python -m rillet._codegen`` from a checkout).

Not in the wheel: it reads the OpenAPI description kept beside it, with PyYAML.
"""
