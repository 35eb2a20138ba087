"""Analytics: read models and statistics projected from every service's events; owns no truth."""
