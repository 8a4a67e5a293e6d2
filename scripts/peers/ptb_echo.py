"""The python-telegram-bot Echobot, pointed at a local Bot API (tgcluster sim).

Usage: ptb_echo.py <base-url> <token>. Answers every text message with the same text.
concurrent_updates is set as the guide's performance advice does (the peers benchmark uses 256).
"""
import sys

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await context.bot.send_message(chat_id=update.effective_chat.id, text=update.message.text)


def main() -> None:
    base, token = sys.argv[1], sys.argv[2]
    concurrency = int(sys.argv[3]) if len(sys.argv) > 3 else 256
    app = (
        Application.builder()
        .token(token)
        .base_url(f"{base}/bot")
        .base_file_url(f"{base}/file/bot")
        .concurrent_updates(concurrency)
        .connection_pool_size(64)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.run_polling(poll_interval=0.0, timeout=10, drop_pending_updates=False)


if __name__ == "__main__":
    main()
