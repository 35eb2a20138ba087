"""Intake: the complaint as the customer made it, from registration to validity."""
