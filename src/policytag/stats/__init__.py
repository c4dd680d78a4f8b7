"""Statistics and pictures every part shares: macro-F1, report-bootstrap intervals, calibration
bins, and figures saved as PNG and SVG with Chinese labels."""
