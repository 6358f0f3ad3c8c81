from saphan.cli import main

main()
