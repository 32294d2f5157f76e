"""Disputes of approved pay and the officials' complaint cases (西宁 第十六条; 无锡 第九条)."""
