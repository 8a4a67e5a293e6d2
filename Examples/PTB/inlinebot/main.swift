import PTBExamples
import TGCluster

await Cluster.main(InlineBot.make())
