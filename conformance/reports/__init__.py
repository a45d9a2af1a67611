"""Report writers: terminal, JSON, JUnit XML and a self-contained HTML page."""
