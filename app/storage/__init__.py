"""The SQLCipher database: connections, transactions, migrations, scrubbing. The only module that opens it."""
