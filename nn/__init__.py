"""nn: neural-network building blocks on autograd_lite."""
