"""bulktui: a terminal console for Salesforce Bulk API jobs."""

__version__ = "0.1.0"
