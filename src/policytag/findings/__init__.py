"""From tags to findings: shares by group with report-bootstrap intervals, confusion-adjusted
prevalence, a role × domain table, pictures and summary.md (`policytag summarize`)."""
