from flask_wtf import FlaskForm

from ..forms import body_field, title_field


class NewThreadForm(FlaskForm):
    title = title_field()
    body = body_field()


class ReplyForm(FlaskForm):
    body = body_field("Your reply")


class EditPostForm(FlaskForm):
    body = body_field()


class EditOpeningPostForm(EditPostForm):
    title = title_field()
