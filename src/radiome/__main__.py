from radiome.cli import main

main()
