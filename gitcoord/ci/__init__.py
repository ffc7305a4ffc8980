"""`gitcoord ci`: the hooks' checks applied to a range of commits, and its report."""
