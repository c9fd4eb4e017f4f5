"""An event's definition (its TOML): fields, compartments, retention rules; and the demo event."""
