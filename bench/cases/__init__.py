"""One module per benchmark; each exposes `run(world, transport, plan) -> list[Row]`."""
