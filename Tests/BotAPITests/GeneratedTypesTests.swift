import Foundation
import Testing
@testable import BotAPI

@Suite("Generated types")
struct GeneratedTypesTests {
    @Test func realSamples_decodeAndReencodeToTheSameJSON() throws {
        for (name, data) in try Fixtures.files("updates") {
            let update = try JSONDecoder().decode(Update.self, from: data)
            let encoded = try JSONEncoder().encode(update)
            #expect(try jsonEqual(data, encoded), "\(name) did not round-trip")
            #expect(try JSONDecoder().decode(Update.self, from: encoded) == update, "\(name)")
        }
    }

    @Test func textMessage_fieldsMapToSwiftNames() throws {
        let data = try Fixtures.files("updates").first { $0.name == "text_message.json" }!.data
        let update = try JSONDecoder().decode(Update.self, from: data)
        let message = try #require(update.message)
        #expect(update.updateID == 872_934_501)
        #expect(message.messageID == 1043)
        #expect(message.from?.username == "anna_k")
        #expect(message.from?.isPremium == true)
        #expect(message.chat.type == "private")
        #expect(message.text == "/start hello über 😀")
        #expect(message.entities?.first?.type == "bot_command")
        #expect(update.kind == .message)
        #expect(update.routingKey == .chat(218_051_234))
    }

    @Test func recursiveMessage_replyAndOriginUnionsDecode() throws {
        let data = try Fixtures.files("updates").first { $0.name == "reply_in_group.json" }!.data
        let message = try #require(try JSONDecoder().decode(Update.self, from: data).message)
        let reply = try #require(message.replyToMessage)
        #expect(reply.messageID == 88200)
        guard case .channel(let origin)? = reply.forwardOrigin else {
            Issue.record("forward_origin should decode as MessageOriginChannel, got \(String(describing: reply.forwardOrigin))")
            return
        }
        #expect(origin.messageID == 12)
        #expect(origin.chat.id == -1_001_112_223_334)
        // Mutating through the boxed property keeps value semantics.
        var copy = message
        copy.replyToMessage?.text = "changed"
        #expect(message.replyToMessage?.text == "Release notes")
        #expect(copy.replyToMessage?.text == "changed")
    }

    @Test func chatMember_unionPicksMemberByStatus() throws {
        let data = try Fixtures.files("updates").first { $0.name == "chat_member.json" }!.data
        let change = try #require(try JSONDecoder().decode(Update.self, from: data).chatMember)
        guard case .member(let old) = change.oldChatMember, case .banned(let new) = change.newChatMember else {
            Issue.record("unexpected members \(change.oldChatMember) \(change.newChatMember)")
            return
        }
        #expect(old.user.id == 43)
        #expect(new.untilDate == 0)
    }

    @Test func maybeInaccessibleMessage_dateZeroMeansInaccessible() throws {
        let files = try Fixtures.files("updates")
        let inaccessible = try JSONDecoder().decode(Update.self, from: files.first { $0.name == "callback_inaccessible.json" }!.data)
        guard case .inaccessibleMessage(let m)? = inaccessible.callbackQuery?.message else {
            Issue.record("date 0 should decode as InaccessibleMessage")
            return
        }
        #expect(m.chat.id == -100_123)
        let accessible = try JSONDecoder().decode(Update.self, from: files.first { $0.name == "callback_query.json" }!.data)
        guard case .message(let full)? = accessible.callbackQuery?.message else {
            Issue.record("a dated message should decode as Message")
            return
        }
        #expect(full.replyMarkup?.inlineKeyboard[0][1].url == "https://core.telegram.org/bots/api")
    }

    @Test func reactionType_unionCoversEveryMember() throws {
        let data = try Fixtures.files("updates").first { $0.name == "message_reaction.json" }!.data
        let reaction = try #require(try JSONDecoder().decode(Update.self, from: data).messageReaction)
        #expect(reaction.newReaction.count == 3)
        guard case .emoji(let e) = reaction.newReaction[0], case .customEmoji = reaction.newReaction[1],
              case .paid = reaction.newReaction[2] else {
            Issue.record("unexpected reactions \(reaction.newReaction)")
            return
        }
        #expect(e.emoji == "👍")
    }

    @Test func newerAPI_unknownFieldsKindsAndMembersAreTolerated() throws {
        let files = try Fixtures.files("future")
        let fields = try JSONDecoder().decode(Update.self, from: files.first { $0.name == "unknown_fields.json" }!.data)
        #expect(fields.message?.text == "from the future")

        let kind = try JSONDecoder().decode(Update.self, from: files.first { $0.name == "unknown_kind.json" }!.data)
        #expect(kind.updateID == 900_000_002)
        #expect(kind.kind == .unknown)

        let memberData = files.first { $0.name == "unknown_union_member.json" }!.data
        let member = try JSONDecoder().decode(Update.self, from: memberData)
        guard case .unknown(let raw)? = member.chatMember?.newChatMember else {
            Issue.record("an unknown status should decode as .unknown")
            return
        }
        guard case .object(let object) = raw else { Issue.record("expected an object"); return }
        #expect(object["aura"] == .int(9000))
        // The unknown member keeps its JSON through a round trip.
        #expect(try jsonEqual(memberData, JSONEncoder().encode(member)))
    }

    @Test func inlineQueryResult_sharedTagIsDisambiguatedByRequiredFields() throws {
        let cached = #"{"type":"photo","id":"1","photo_file_id":"AgAD"}"#
        let byURL = #"{"type":"photo","id":"2","photo_url":"https://x/p.jpg","thumbnail_url":"https://x/t.jpg"}"#
        guard case .cachedPhoto = try JSONDecoder().decode(InlineQueryResult.self, from: Data(cached.utf8)) else {
            Issue.record("photo_file_id should pick InlineQueryResultCachedPhoto"); return
        }
        guard case .photo(let p) = try JSONDecoder().decode(InlineQueryResult.self, from: Data(byURL.utf8)) else {
            Issue.record("photo_url should pick InlineQueryResultPhoto"); return
        }
        #expect(p.photoURL == "https://x/p.jpg")
    }

    @Test func chatID_acceptsNumbersUsernamesAndNumericText() throws {
        #expect(try JSONDecoder().decode(ChatID.self, from: Data("-1001".utf8)) == .id(-1001))
        #expect(try JSONDecoder().decode(ChatID.self, from: Data(#""@channel""#.utf8)) == .username("@channel"))
        #expect(try JSONDecoder().decode(ChatID.self, from: Data(#""-1001""#.utf8)) == .id(-1001))
        #expect(String(decoding: try JSONEncoder().encode(ChatID.id(42)), as: UTF8.self) == "42")
    }

    @Test func methods_encodeSpecNamesAndOmitNil() throws {
        let method = BotMethods.SendMessage(chatID: 42, text: "hi", replyMarkup: .forceReply(ForceReply(forceReply: true)))
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(method)) as! [String: Any]
        #expect(json.keys.sorted() == ["chat_id", "reply_markup", "text"])
        #expect((json["reply_markup"] as? [String: Any])?["force_reply"] as? Bool == true)
        #expect(BotMethods.SendMessage.name == "sendMessage")
        #expect(BotAPISpec.methodNames.count == 180)
    }

    @Test func upload_cannotBeWrittenAsPlainJSON() {
        let method = BotMethods.SendDocument(chatID: 1, document: .upload(FileUpload(data: Data("x".utf8), filename: "a.txt")))
        #expect(throws: EncodingError.self) { try JSONEncoder().encode(method) }
    }

    @Test func upload_becomesMultipartWithTheParameterAsPartName() throws {
        let method = BotMethods.SendDocument(chatID: 7, document: .upload(FileUpload(data: Data("hello".utf8), filename: "a.txt", contentType: "text/plain")),
                                             caption: "doc", replyMarkup: .remove(ReplyKeyboardRemove(removeKeyboard: true)))
        guard case .multipart(let fields) = try RequestEncoder.encode(method) else {
            Issue.record("expected multipart"); return
        }
        let byName = Dictionary(uniqueKeysWithValues: fields.map { ($0.name, $0) })
        #expect(Set(byName.keys) == ["chat_id", "caption", "document", "reply_markup"])
        #expect(byName["document"]?.filename == "a.txt")
        #expect(byName["document"]?.data == Data("hello".utf8))
        #expect(byName["caption"]?.data == Data("doc".utf8))
        #expect(byName["chat_id"]?.data == Data("7".utf8))
        #expect(byName["reply_markup"]?.data == Data(#"{"remove_keyboard":true}"#.utf8))
    }

    @Test func nestedUpload_isAttachedByName() throws {
        let media: [InputMedia] = [
            .photo(InputMediaPhoto(type: "photo", media: .upload(FileUpload(data: Data([1, 2]), filename: "1.jpg")))),
            .photo(InputMediaPhoto(type: "photo", media: .fileID("AgAD"))),
        ]
        guard case .multipart(let fields) = try RequestEncoder.encode(BotMethods.SendMediaGroup(chatID: 1, media: media)) else {
            Issue.record("expected multipart"); return
        }
        let mediaField = try #require(fields.first { $0.name == "media" })
        let text = String(decoding: mediaField.data, as: UTF8.self)
        #expect(text.contains(#""media":"attach://file0""#))
        #expect(text.contains(#""media":"AgAD""#))
        #expect(fields.contains { $0.name == "file0" && $0.filename == "1.jpg" })
    }
}
