"""Code generators, run from a checkout: ``python -m rillet._codegen`` (not in the wheel).

:mod:`rillet.params` from the OpenAPI description kept beside them (with PyYAML), and the event
unions and typed ``on()`` overloads from rillet's event registry.
"""
