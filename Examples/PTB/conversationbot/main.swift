import PTBExamples
import TGCluster

await Cluster.main(ConversationBot.make())
