"""autograd_lite: a small reverse-mode autodiff engine on NumPy."""
