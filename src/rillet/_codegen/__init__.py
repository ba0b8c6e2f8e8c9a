"""Code generators: ``python -m rillet._codegen`` (from a checkout) rewrites what they make."""
