"""No event loop? ``rillet.Client`` has the same API for blocking code."""

from rillet import Client
from rillet.events import ResponseOutputTextDeltaEvent


def main() -> None:
    with Client() as client:
        stream = client.responses.create(
            model="gpt-5-mini", input="Tell me about rivers.", stream=True
        )
        with stream:
            for event in stream:
                if isinstance(event, ResponseOutputTextDeltaEvent):
                    print(event.delta, end="", flush=True)
            response = stream.final_response()
    print()
    print(response.status)


if __name__ == "__main__":
    main()
