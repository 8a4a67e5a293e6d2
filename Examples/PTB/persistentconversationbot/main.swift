import PTBExamples
import TGCluster

await Cluster.main(PersistentConversationBot.make())
