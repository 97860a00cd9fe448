"""Pure rules of the hub: no framework, ORM, driver or clock imports."""
