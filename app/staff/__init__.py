"""Staff: accounts, login, sessions that follow the database, grants and revocations, offline exports."""
