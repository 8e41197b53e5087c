"""Brands (tenants), customers and their orders."""
