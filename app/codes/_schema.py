"""Version of the code-set database layout: readers refuse a file built with another one."""

SCHEMA_VERSION = "3"  # bump when the table layout changes
