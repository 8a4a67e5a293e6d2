/// What the bot is doing, shown in the chat's header for up to 5 seconds (`sendChatAction`):
/// the Bot API's closed list of actions, so that a misspelt one does not compile.
public enum ChatAction: String, Sendable, CaseIterable {
    case typing
    case uploadPhoto = "upload_photo"
    case recordVideo = "record_video"
    case uploadVideo = "upload_video"
    case recordVoice = "record_voice"
    case uploadVoice = "upload_voice"
    case uploadDocument = "upload_document"
    case chooseSticker = "choose_sticker"
    case findLocation = "find_location"
    case recordVideoNote = "record_video_note"
    case uploadVideoNote = "upload_video_note"
}
