"""web/console"""
