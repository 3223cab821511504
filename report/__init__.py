"""The executive usage report: one self-contained HTML page built from the marts."""
