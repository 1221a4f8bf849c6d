"""DMZ requests, as both sides read them: the document (``document``, with its JSON schema)
and, back in the air gap, which request a delivered bundle answers (``delivery``). The air
gap writes requests from plans (``..installer.dmz_request``); the DMZ fills them
(``..bundle.from_request``)."""
