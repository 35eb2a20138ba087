"""Settlement: the money of a complaint, for ERP and finance."""
