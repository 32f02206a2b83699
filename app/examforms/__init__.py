"""Practice-exam forms (pure): exam blueprints loaded from content/exams.yml, forms drawn from the
question bank, and forms scored (blueprints.py). No Flask, no database."""
