"""Version of the code-set database layout: readers refuse a file built with another one."""

SCHEMA_VERSION = "2"  # bump when the table layout changes
