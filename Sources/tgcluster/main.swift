print("tgcluster")
