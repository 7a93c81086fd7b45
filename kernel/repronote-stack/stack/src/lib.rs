// Stands in for the cells' crate; evcxr writes the real one.
