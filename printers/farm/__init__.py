"""The farm: many printers of any kind supervised at once (:mod:`.supervisor`),
one persisted queue across them (:mod:`.queue`), and how printers are made
from their records (:mod:`.factory`).  Qt-free."""
