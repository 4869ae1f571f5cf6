"""Briefing control: the carousel, alarm takeover, the control page and API, the multi-PC link.

The pure parts (carousel, commands, security rules, takeover policy, control config) import
without Qt; the Qt parts (drivers, the bridge to the wall) live beside them.
"""
