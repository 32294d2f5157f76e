"""The cities the platform serves, with their districts and dated minimum wages."""
