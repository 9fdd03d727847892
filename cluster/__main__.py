from augft.cluster.cli import main

main()
