def sync_builtin_checklists():
    return []
