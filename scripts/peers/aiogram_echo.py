"""aiogram 3's echo bot, pointed at a local Bot API (tgcluster sim).

Usage: aiogram_echo.py <base-url> <token> [unused]. Answers every text message with the same text.
aiogram handles updates concurrently by default (handle_as_tasks=True).
"""
import asyncio
import sys

from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message


async def main() -> None:
    base, token = sys.argv[1], sys.argv[2]
    session = AiohttpSession(api=TelegramAPIServer.from_base(base), limit=256)
    bot = Bot(token=token, session=session)
    dp = Dispatcher()

    @dp.message(F.text)
    async def echo(message: Message) -> None:
        await bot.send_message(chat_id=message.chat.id, text=message.text)

    await dp.start_polling(bot, polling_timeout=10, handle_signals=True)


if __name__ == "__main__":
    asyncio.run(main())
