"""Print history and success tracking (Qt-free): every job with its file,
settings, printer, material, durations, filament and outcome; success rates,
failure reasons, trends, exports and maintenance counters."""
