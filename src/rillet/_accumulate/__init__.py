"""Accumulators (sans-IO): stream events in, whole ``Response`` / ``ChatCompletion`` out."""
