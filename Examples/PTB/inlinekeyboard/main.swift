import PTBExamples
import TGCluster

await Cluster.main(InlineKeyboardBot.make())
