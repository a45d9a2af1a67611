"""`chat-contract bench`: the reference server measured side by side with its peers."""
