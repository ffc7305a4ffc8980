from gitcoord.cli.entry import main

main()
