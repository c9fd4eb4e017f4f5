"""The web front-end: the application factory, blueprints for participants, staff and auditors, headers, errors."""
