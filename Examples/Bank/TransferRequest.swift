/// `/transaction <amount> <recipient_user_id>`, checked before any balance is read.
enum TransferRequest {
    static func parse(_ arguments: [String], sender: Int64) -> Result<(amount: Int, recipient: Int64), Refusal> {
        guard arguments.count == 2 else {
            return .failure(Refusal(reason: "usage: /transaction <amount> <recipient_user_id>"))
        }
        guard let amount = Int(arguments[0]), amount > 0 else {
            return .failure(Refusal(reason: "the amount must be a whole number of units above 0"))
        }
        guard let recipient = Int64(arguments[1]) else {
            return .failure(Refusal(reason: "the recipient must be a user id"))
        }
        guard recipient != sender else {
            return .failure(Refusal(reason: "you cannot send money to yourself"))
        }
        return .success((amount, recipient))
    }
}

struct Refusal: Error, Sendable {
    var reason: String
}
