"""The role-fit quiz's engine (pure): loading the quiz file and scoring answers against the careers
it describes (scoring.py). The pages are the ``rolefit`` blueprint's; this package holds no routes."""
